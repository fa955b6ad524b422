"""Entry scripts that other runners start: spark_run.py is the AWS Glue job (and spark-submit script)."""
