import sys

from deliverability.cli import main

sys.exit(main())
