"""The supervision shipped in deploy/: every long-running process is restarted when it stops,
and each runs a command, with options, that this install really has."""

import configparser
import shlex
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
LONG_RUNNING = {
    "web": "erp-approvals-web.service",
    "worker": "erp-approvals-worker@.service",
    "scheduler": "erp-approvals-scheduler.service",
}


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / name)
    return parser


def procfile() -> dict[str, list[str]]:
    lines = (DEPLOY / "Procfile").read_text().splitlines()
    return {
        name.strip(): shlex.split(command)
        for name, command in (line.split(":", 1) for line in lines if line.strip())
    }


def assert_runs_a_real_command(argv: list[str]) -> None:
    if "manage.py" not in argv:
        assert Path(argv[0]).name == "gunicorn" and "config.wsgi" in argv, argv
        return
    name, *options = argv[argv.index("manage.py") + 1 :]
    command = load_command_class(get_commands()[name], name)
    # Unknown options make argparse exit: the unit would crash-loop.
    command.create_parser("manage.py", name).parse_args(options)


@pytest.mark.parametrize("process", sorted(LONG_RUNNING))
def test_each_long_running_process_is_restarted_by_systemd(process):
    service = unit(LONG_RUNNING[process])["Service"]

    assert service["Restart"] == "always"
    assert int(service["RestartSec"]) > 0
    assert_runs_a_real_command(
        service["ExecStart"].replace("%H", "host").replace("%i", "1").split()
    )


@pytest.mark.parametrize("process", sorted(LONG_RUNNING))
def test_the_procfile_runs_the_same_processes(process):
    argv = procfile()[process]
    assert_runs_a_real_command([part.replace("${PORT:-8000}", "8000") for part in argv])


def test_the_daily_digest_has_a_timer():
    assert unit("erp-approvals-digest.timer")["Timer"]["OnCalendar"]
    assert "erp_digest" in unit("erp-approvals-digest.service")["Service"]["ExecStart"]


def test_the_worker_command_is_the_one_that_outlives_database_outages():
    assert get_commands()["db_worker"] == "approvals"
