from stedi.cli.main import entry

entry()
