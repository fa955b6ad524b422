from pathlib import Path

import pytest

from stedi.config import Config, load_config, write_config
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


@pytest.mark.parametrize("text, message", [
    ('consent_policy = "sometimes"', "consent policy 'sometimes' is not one of strict, any-time"),
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
