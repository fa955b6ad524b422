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

# Issue "Speed"'s targets, each against its baseline in the same run (benchmarks/README.md): about
# 20 minutes on 2 cores at the default sizes, with Spark; SIZES="starter 10m 100m" adds the 100M row
# (about 20 minutes more, plus generating it once); SIZES="starter 1m" tries the harness in minutes.
# The detail tables come first; the last thing printed is the summary, also in $(BENCH_WORK)/targets.md.
BENCH_WORK ?= bench-data
bench: $(SPARK_STAMP) jvm  ## measure the issue's speed targets (SIZES="starter 10m" by default; Java 17 for Spark)
	$(BIN)/python benchmarks/bench_targets.py $(or $(SIZES),starter 10m) --work $(BENCH_WORK)
	@if [ ! -f benchmarks/bench_query.py ]; then echo "benchmarks/bench_query.py: not in this checkout, skipped"; \
	elif [ ! -f $(BENCH_WORK)/lake-starter/state.json ]; then echo "bench_query.py: no starter lake (needs ../shared/data/stedi), skipped"; \
	else $(BIN)/python benchmarks/bench_query.py $(BENCH_WORK)/lake-starter --runs 3; fi
	$(BIN)/python benchmarks/bench_s3.py starter --work $(BENCH_WORK)
	@$(BIN)/python benchmarks/bench_targets.py --summary --work $(BENCH_WORK)

clean:
	rm -rf $(VENV) demo-lake .pytest_cache
