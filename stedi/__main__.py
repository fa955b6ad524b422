import sys

from stedi.cli.main import main

sys.exit(main())
