from pathlib import Path

import pytest

from stedi.config import Config
from stedi.lake import load_config, write_config
from stedi.errors import StediError


def test_layers_defaults_then_lake_file_then_environment(tmp_path: Path) -> None:
    write_config(tmp_path, Config(consent_policy="any-time", memory_limit="2GB", pseudonym_key="ab" * 32))
    assert load_config(tmp_path, env={}) == Config("any-time", "2GB", 0, "ab" * 32)
    env = {"STEDI_CONSENT_POLICY": "strict", "STEDI_THREADS": "1"}
    assert load_config(tmp_path, env=env) == Config("strict", "2GB", 1, "ab" * 32)
    assert load_config(tmp_path / "nowhere", env={}) == Config()


def test_the_key_never_comes_from_the_environment(tmp_path: Path) -> None:
    write_config(tmp_path, Config(pseudonym_key="cd" * 32))
    assert load_config(tmp_path, env={"STEDI_PSEUDONYM_KEY": "leaked"}).pseudonym_key == "cd" * 32
    assert (tmp_path / "stedi.toml").stat().st_mode & 0o077 == 0  # readable by its owner only


def test_jars_to_load_come_from_the_users_machine_never_from_the_lakes_file(tmp_path: Path) -> None:
    """Whoever may write a lake's stedi.toml (in S3, anyone with PutObject on the lake) must not
    make every user's Spark engine load a jar of theirs: spark_jars is refused there."""
    (tmp_path / "stedi.toml").write_text(f'pseudonym_key = "{"ab" * 32}"\nspark_jars = "/tmp/evil.jar"\n')
    with pytest.raises(StediError) as refused:
        load_config(tmp_path, env={})
    assert str(refused.value) == (f"{tmp_path / 'stedi.toml'}: sets spark_jars, which would load code into whoever "
                                  "runs stedi on this lake; remove it, and set STEDI_SPARK_JARS on your own machine instead")
    write_config(tmp_path, Config(pseudonym_key="ab" * 32, spark_jars="/opt/hadoop-aws.jar"))
    assert "spark_jars" not in (tmp_path / "stedi.toml").read_text()  # a lake file written by stedi loads
    assert load_config(tmp_path, env={"STEDI_SPARK_JARS": "/opt/a.jar"}).spark_jars == "/opt/a.jar"


@pytest.mark.parametrize("text, message", [
    ('consent_policy = "sometimes"', "consent_policy 'sometimes' is not one of strict, any-time"),
    ('colour = "blue"', "unknown setting 'colour'"),
    ("threads = 'many'", "threads must be a whole number"),
    ("threads = ", "cannot read the lake config"),
])
def test_bad_settings_name_the_file_and_the_setting(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "stedi.toml").write_text(text + "\n")
    with pytest.raises(StediError, match=message):
        load_config(tmp_path, env={})


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(StediError, match="STEDI_THREADS: threads must be a whole number"):
        load_config(tmp_path, env={"STEDI_THREADS": "lots"})


@pytest.mark.parametrize("value", ["3GB", "500MB", "1.5GiB", "3 GB", "3gb", "2 gib", " 1GB ", "-1"])
def test_memory_limit_takes_every_form_duckdb_takes(tmp_path: Path, value: str) -> None:
    assert load_config(tmp_path, env={"STEDI_MEMORY_LIMIT": value}).memory_limit == value


def test_memory_limit_minus_one_is_duckdbs_own_default(tmp_path: Path) -> None:
    import duckdb

    value = load_config(tmp_path, env={"STEDI_MEMORY_LIMIT": "-1"}).memory_limit
    with duckdb.connect(config={"memory_limit": value}) as con, duckdb.connect() as default:
        setting = "SELECT current_setting('memory_limit')"  # 80% of the machine's memory, not "no limit"
        assert con.execute(setting).fetchone() == default.execute(setting).fetchone()


@pytest.mark.parametrize("value, reason", [
    ("lots", "Memory must have a number"),
    ("80%", "Unknown unit for memory: '%'"),  # DuckDB 1.5.5 takes no percentages
    ("3PB", "Unknown unit for memory: 'pb'"),
    ("3'GB", "Unknown unit"),  # a quote reaches DuckDB as a value, never as SQL
])
def test_bad_memory_limit_names_the_variable_and_the_value(tmp_path: Path, value: str, reason: str) -> None:
    with pytest.raises(StediError) as e:
        load_config(tmp_path, env={"STEDI_MEMORY_LIMIT": value})
    assert str(e.value).startswith(f"STEDI_MEMORY_LIMIT: memory_limit {value!r} ")
    assert reason in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("text, message", [
    ('memory_limit = "lots"', "memory_limit 'lots' is not a size DuckDB understands"),
    ("memory_limit = 3", "memory_limit must be a string, not 3"),
    ('consent_policy = "sometimes"', "consent_policy 'sometimes' is not one of strict, any-time"),
    ("threads = 1.5", "threads must be a whole number, not 1.5"),  # not silently 1
    ("threads = true", "threads must be a whole number, not True"),
    ("threads = -1", "threads must be 0 (one per core) to 1024, not -1"),
    ("threads = 1000000", "threads must be 0 (one per core) to 1024"),  # DuckDB would abort the process
])
def test_bad_file_values_start_with_the_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "stedi.toml").write_text(text + "\n")
    with pytest.raises(StediError) as e:
        load_config(tmp_path, env={})
    assert str(e.value).startswith(f"{tmp_path / 'stedi.toml'}: {message}")


@pytest.mark.parametrize("var, value, message", [
    ("STEDI_CONSENT_POLICY", "sometimes", "STEDI_CONSENT_POLICY: consent_policy 'sometimes' is not one of"),
    ("STEDI_THREADS", "two", "STEDI_THREADS: threads must be a whole number, not 'two'"),
    ("STEDI_THREADS", "-2", "STEDI_THREADS: threads must be 0 (one per core) to 1024, not -2"),
])
def test_bad_environment_values_start_with_the_variable(tmp_path: Path, var: str, value: str, message: str) -> None:
    with pytest.raises(StediError) as e:
        load_config(tmp_path, env={var: value})
    assert str(e.value).startswith(message)


def test_config_made_in_code_is_checked_too() -> None:
    with pytest.raises(StediError, match="memory_limit 'lots' is not a size DuckDB understands"):
        Config(memory_limit="lots")
    with pytest.raises(StediError, match="threads must be 0"):
        Config(threads=-1)


@pytest.mark.parametrize("text", ["", 'pseudonym_key = ""', 'pseudonym_key = "ab"', 'pseudonym_key = "' + "zz" * 32 + '"'])
def test_the_key_in_the_file_must_be_256_bits_of_hex(tmp_path: Path, text: str) -> None:
    # Without it customer_key would be sha256(email), or a hash with a guessable key.
    (tmp_path / "stedi.toml").write_text('consent_policy = "strict"\n' + text + "\n")
    with pytest.raises(StediError, match="stedi.toml: pseudonym_key must be the 64 hex digits"):
        load_config(tmp_path, env={})


def test_a_file_that_is_not_utf8_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "stedi.toml").write_bytes(b'consent_policy = "\xff"\n')
    with pytest.raises(StediError, match="stedi.toml: cannot read the lake config: 'utf-8' codec"):
        load_config(tmp_path, env={})


def test_retention_settings_default_then_file_then_environment(tmp_path: Path) -> None:
    assert (Config().keep_snapshots, Config().keep_days) == (10, 7)
    (tmp_path / "stedi.toml").write_text("keep_snapshots = 3\nkeep_days = 0\n" + f'pseudonym_key = "{"ab" * 32}"\n')
    config = load_config(tmp_path, env={})
    assert (config.keep_snapshots, config.keep_days) == (3, 0)
    config = load_config(tmp_path, env={"STEDI_KEEP_SNAPSHOTS": "5", "STEDI_KEEP_DAYS": "30"})
    assert (config.keep_snapshots, config.keep_days) == (5, 30)
    write_config(tmp_path, config)  # written with the others, read back the same
    assert load_config(tmp_path, env={}) == config


@pytest.mark.parametrize("text, message", [
    ("keep_snapshots = 0",
     "keep_snapshots must be a whole number of 1 or more (the current snapshot is always kept), not 0"),
    ("keep_snapshots = 2.5", "keep_snapshots must be a whole number, not 2.5"),
    ('keep_snapshots = "ten"', "keep_snapshots must be a whole number, not 'ten'"),
    ("keep_days = -1", "keep_days must be a whole number of 0 or more, not -1"),
    ("keep_days = true", "keep_days must be a whole number, not True"),
])
def test_bad_retention_settings_in_the_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "stedi.toml").write_text(text + "\n")
    with pytest.raises(StediError) as e:
        load_config(tmp_path, env={})
    assert str(e.value) == f"{tmp_path / 'stedi.toml'}: {message}"


@pytest.mark.parametrize("var, value, message", [
    ("STEDI_KEEP_SNAPSHOTS", "0", "STEDI_KEEP_SNAPSHOTS: keep_snapshots must be a whole number of 1 or more"),
    ("STEDI_KEEP_SNAPSHOTS", "many", "STEDI_KEEP_SNAPSHOTS: keep_snapshots must be a whole number, not 'many'"),
    ("STEDI_KEEP_DAYS", "-3", "STEDI_KEEP_DAYS: keep_days must be a whole number of 0 or more, not -3"),
    ("STEDI_KEEP_DAYS", "1.5", "STEDI_KEEP_DAYS: keep_days must be a whole number, not '1.5'"),
])
def test_bad_retention_settings_in_the_environment(tmp_path: Path, var: str, value: str, message: str) -> None:
    with pytest.raises(StediError) as e:
        load_config(tmp_path, env={var: value})
    assert str(e.value).startswith(message) and "\n" not in str(e.value)


def test_retention_settings_made_in_code_are_checked() -> None:
    with pytest.raises(StediError, match="keep_snapshots must be a whole number of 1 or more"):
        Config(keep_snapshots=0)
    with pytest.raises(StediError, match="keep_days must be a whole number of 0 or more"):
        Config(keep_days=-1)
