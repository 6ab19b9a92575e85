"""Spike alerts sent where the team already looks: Slack, Teams, any JSON webhook, e-mail.

`deliverability alert` (deliverability/cli/alert.py) runs the rules of config.py: for each,
findings.py asks queries/ for the spikes (the same test as `spikes`) and, if wanted, the
weekly review's sustained rises; runner.py keeps what each destination was already sent
(the store's alert ledger) out, and sends the rest through messages.py (one payload per
format) and transport.py (HTTP and SMTP with timeouts and retries), recording each delivery
as it succeeds. Secrets (webhook URLs, SMTP passwords) live only in destinations.py's
objects: everything printed or stored names a destination by its label (kind and host).
"""
