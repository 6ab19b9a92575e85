"""Output for people and files: tables, JSON and CSV for the terminal and downloads, and the
weekly review as HTML, Markdown and JSON. Renderers read what queries/ computed; they never
query the store themselves."""
