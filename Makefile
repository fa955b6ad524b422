# Two commands for a fresh machine (Python 3.11+): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SPARK_STAMP := $(VENV)/.spark-installed-stamp

.PHONY: setup demo test test-setup bench clean chromium jvm glue-wheels

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,aws]'
	@touch $(STAMP)

setup: $(STAMP)  ## create .venv with the pinned dependencies

# The Spark engine's extra (PySpark, ~300 MB): for the tests and benchmarks, not for the demo.
# One pip run installs everything (a second one would resolve the whole set again).
$(SPARK_STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,spark,aws]'
	@touch $(STAMP) $(SPARK_STAMP)

demo: setup  ## generate a small data set, build every table, show them
	$(BIN)/stedi demo --lake demo-lake

# The report's browser test drives Debian's chromium: installed when missing if we are root, else
# named. Checked on every `make test` (cheap), not stamped: a removed browser is noticed. A failed
# install does not stop the tests (the browser test says why it skips).
chromium:
	-@sh .ci/chromium

# Two pytest runs: every test but Spark's on two workers, then the Spark tests alone (one
# SparkSession), so that no JVM shares the two cores with another worker. Both always run.
# The JVM pieces the AWS tests need (jvm/artifacts.txt), fetched from Maven Central once into .cache/jvm.
jvm:
	@sh .ci/fetch-jvm

# The wheels the AWS tests deploy offline (`stedi aws deploy --wheelhouse`: every runtime dependency at
# its pinned version, for Glue 5.0's workers), and those of the stand-in for Glue 5.0's own Python
# (tests/aws/glue5_python.txt) and the stand-in built from them: once, at set-up, into .cache/wheels;
# the tests download nothing.
WHEELS := .cache/wheels
$(WHEELS)/glue/.fetched: $(SPARK_STAMP) constraints.txt
	$(BIN)/python -m stedi.deploy.glue_wheels $(WHEELS)/glue
	@touch $@

$(WHEELS)/glue-env/.fetched: $(SPARK_STAMP) tests/aws/glue5_python.txt
	$(BIN)/python -m tests.aws.glue_env fetch $(WHEELS)/glue-env
	@touch $@

$(WHEELS)/glue-python/.built: $(WHEELS)/glue-env/.fetched
	$(BIN)/python -m tests.aws.glue_env build $(WHEELS)/glue-python

glue-wheels: $(WHEELS)/glue/.fetched $(WHEELS)/glue-env/.fetched $(WHEELS)/glue-python/.built

# What the tests need, its independent steps side by side (-j3): the JVM pieces' fetch beside the
# pip install (one process, mostly one core), the Glue job's wheels beside the stand-in's.
test-setup: $(SPARK_STAMP) chromium jvm glue-wheels

test:  ## run the test suite (the Spark tests need Java 17, the report's browser test Chromium: skipped without them, outside CI)
	@$(MAKE) --no-print-directory -j3 test-setup
	@status=0; \
	$(BIN)/python -m pytest -m "not spark" || status=$$?; \
	$(BIN)/python -m pytest -m spark -n 0 || status=$$?; \
	exit $$status

bench: $(SPARK_STAMP) jvm  ## time `stedi run` against the floor and PySpark, and on S3 (moto) against local (SIZES="starter 10m", Java 17 for Spark)
	$(BIN)/python benchmarks/bench_run.py $(or $(SIZES),starter) --runs 3
	$(BIN)/python benchmarks/bench_s3.py $(or $(SIZES),starter)

clean:
	rm -rf $(VENV) demo-lake .pytest_cache
