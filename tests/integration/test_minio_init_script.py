"""``minio-config/init.sh`` run the way the minio/mc image runs it: a PATH holding only a shell,
coreutils and ``mc`` (here a double answering as mc and MinIO do, see tests/mc_double.py).

Both runs must succeed and leave the same buckets, rules, expiry, policies and users; the
refusals (duplicate rule, lower-case ARN, a lifecycle rule with no supported action, TLS
mismatch) must stop the script.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.mc_double import new_state
from voxpersona.storage.bucket_config import NATS_TARGET_ARN, NATS_TARGET_ID

ROOT = Path(__file__).resolve().parents[2]
INIT = ROOT / "minio-config" / "init.sh"
# GNU coreutils' programs: what ubi-micro's coreutils-single provides beside the shell.
COREUTILS = [
    "arch",
    "b2sum",
    "base32",
    "base64",
    "basename",
    "basenc",
    "cat",
    "chcon",
    "chgrp",
    "chmod",
    "chown",
    "chroot",
    "cksum",
    "comm",
    "cp",
    "csplit",
    "cut",
    "date",
    "dd",
    "df",
    "dir",
    "dircolors",
    "dirname",
    "du",
    "echo",
    "env",
    "expand",
    "expr",
    "factor",
    "false",
    "fmt",
    "fold",
    "groups",
    "head",
    "hostid",
    "id",
    "install",
    "join",
    "link",
    "ln",
    "logname",
    "ls",
    "md5sum",
    "mkdir",
    "mkfifo",
    "mknod",
    "mktemp",
    "mv",
    "nice",
    "nl",
    "nohup",
    "nproc",
    "numfmt",
    "od",
    "paste",
    "pathchk",
    "pinky",
    "pr",
    "printenv",
    "printf",
    "ptx",
    "pwd",
    "readlink",
    "realpath",
    "rm",
    "rmdir",
    "runcon",
    "seq",
    "sha1sum",
    "sha224sum",
    "sha256sum",
    "sha384sum",
    "sha512sum",
    "shred",
    "shuf",
    "sleep",
    "sort",
    "split",
    "stat",
    "stdbuf",
    "stty",
    "sum",
    "sync",
    "tac",
    "tail",
    "tee",
    "test",
    "timeout",
    "touch",
    "tr",
    "true",
    "truncate",
    "tsort",
    "tty",
    "uname",
    "unexpand",
    "uniq",
    "unlink",
    "users",
    "vdir",
    "wc",
    "who",
    "whoami",
    "yes",
]
SECRETS = {
    "MINIO_ROOT_USER": "voxroot",
    "MINIO_ROOT_PASSWORD": "root-secret-123",
    "BOT_MINIO_ACCESS_KEY": "vp-bot",
    "BOT_MINIO_SECRET_KEY": "bot-secret-123",
    "LIBRARY_MINIO_ACCESS_KEY": "vp-library",
    "LIBRARY_MINIO_SECRET_KEY": "library-secret-123",
    "REACTOR_MINIO_ACCESS_KEY": "vp-reactor",
    "REACTOR_MINIO_SECRET_KEY": "reactor-secret-123",
    "OPERATOR_MINIO_ACCESS_KEY": "vp-operator",
    "OPERATOR_MINIO_SECRET_KEY": "operator-secret-123",
}


@pytest.fixture
def mc_path(tmp_path: Path) -> Path:
    """A bin directory with sh, coreutils and the mc double, and nothing else."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shell = shutil.which("dash") or shutil.which("sh")
    assert shell is not None
    (bin_dir / "sh").symlink_to(shell)
    for name in COREUTILS:
        found = shutil.which(name)
        if found is not None:
            (bin_dir / name).symlink_to(found)
    mc = bin_dir / "mc"
    mc.write_text(
        f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.mc_double import main\nsys.exit(main(sys.argv[1:]))\n"
    )
    mc.chmod(0o755)
    for forbidden in ("sed", "grep", "awk", "python3", "bash"):
        assert not (bin_dir / forbidden).exists()
    return bin_dir


def make_server(tmp_path: Path, *, scheme: str = "http", target: str = NATS_TARGET_ID) -> Path:
    state = tmp_path / "minio-state.json"
    server = new_state(
        root_user=SECRETS["MINIO_ROOT_USER"],
        root_password=SECRETS["MINIO_ROOT_PASSWORD"],
        scheme=scheme,
        target_ids=(target,),
    )
    state.write_text(json.dumps(server))
    return state


def run_init(
    bin_dir: Path, state: Path, script: Path = INIT, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(bin_dir), "MC_DOUBLE_STATE": str(state), **SECRETS, **extra}
    return subprocess.run(
        [str(bin_dir / "sh"), str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def configured(state: Path) -> dict[str, Any]:
    """What a run leaves on the server (the alias is client-side and left out)."""
    loaded: dict[str, Any] = json.loads(state.read_text())
    return {key: loaded[key] for key in ("buckets", "policies", "users")}


def test_init_twice_with_only_sh_coreutils_and_mc(mc_path: Path, tmp_path: Path) -> None:
    state = make_server(tmp_path)
    first = run_init(mc_path, state, MINIO_CLEANUP_DAYS="14")
    assert first.returncode == 0, first.stderr
    after_first = configured(state)
    second = run_init(mc_path, state, MINIO_CLEANUP_DAYS="14")
    assert second.returncode == 0, second.stderr
    assert configured(state) == after_first
    assert "minio-config applied" in second.stdout

    audio = after_first["buckets"]["voxpersona-audio"]
    assert set(after_first["buckets"]) == {"voxpersona-audio", "voxpersona-storage"}
    assert {b["anonymous"] for b in after_first["buckets"].values()} == {"none"}
    assert [(r["arn"], r["events"], r["filter"]) for r in audio["notification"]] == [
        (NATS_TARGET_ARN, ["s3:ObjectCreated:*"], [["prefix", "audio/"]]),
        (NATS_TARGET_ARN, ["s3:ObjectRemoved:*"], [["prefix", "audio/"]]),
    ]
    assert audio["lifecycle"] == {
        "Rules": [
            {
                "ID": "expire-audio",
                "Status": "Enabled",
                "Filter": {"Prefix": "audio/"},
                "Expiration": {"Days": 14},
            }
        ]
    }
    users = after_first["users"]
    assert {name: user["policies"] for name, user in users.items()} == {
        "vp-bot": ["voxpersona-bot"],
        "vp-library": ["voxpersona-library"],
        "vp-reactor": ["voxpersona-reactor"],
        "vp-operator": ["voxpersona-operator"],
    }


def test_bucket_names_reach_the_policies(mc_path: Path, tmp_path: Path) -> None:
    state = make_server(tmp_path)
    # Each name contains the other default name: replaced once, never twice.
    names = {
        "MINIO_AUDIO_BUCKET_NAME": "voxpersona-storage-audio",
        "MINIO_BUCKET_NAME": "voxpersona-audio-results",
    }
    result = run_init(mc_path, state, **names)
    assert result.returncode == 0, result.stderr
    reactor = json.dumps(configured(state)["policies"]["voxpersona-reactor"])
    assert "arn:aws:s3:::voxpersona-storage-audio/audio/*" in reactor
    assert "arn:aws:s3:::voxpersona-audio-results/results/*" in reactor
    assert '"arn:aws:s3:::voxpersona-audio/' not in reactor


def test_a_lower_case_target_id_is_refused(mc_path: Path, tmp_path: Path) -> None:
    """A server whose target is `primary` does not know `PRIMARY`: the script stops."""
    state = make_server(tmp_path, target="primary")
    result = run_init(mc_path, state)
    assert result.returncode != 0
    assert "A specified destination ARN does not exist" in result.stderr
    assert "minio-config applied" not in result.stdout


def test_tls_server_needs_minio_use_ssl(mc_path: Path, tmp_path: Path) -> None:
    state = make_server(tmp_path, scheme="https")
    assert run_init(mc_path, state).returncode != 0
    assert run_init(mc_path, state, MINIO_USE_SSL="true").returncode == 0


def test_a_rule_with_only_abort_incomplete_uploads_stops_the_script(
    mc_path: Path, tmp_path: Path
) -> None:
    """What the old lifecycle.json would do as a rule of its own: MinIO refuses it."""
    config = tmp_path / "minio-config"
    shutil.copytree(INIT.parent, config)
    (config / "lifecycle.json").write_text(
        json.dumps(
            {
                "Rules": [
                    {
                        "ID": "expire-audio",
                        "Status": "Enabled",
                        "Filter": {"Prefix": "audio/"},
                        "Expiration": {"Days": 30},
                    },
                    {
                        "ID": "abort",
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    },
                ]
            },
            indent=1,
        )
    )
    result = run_init(mc_path, make_server(tmp_path), config / "init.sh")
    assert result.returncode != 0
    assert "not well-formed" in result.stderr


def test_without_ignore_existing_a_second_run_fails(mc_path: Path, tmp_path: Path) -> None:
    """The double refuses a duplicate rule as MinIO does: the flag is what makes reruns work."""
    config = tmp_path / "minio-config"
    shutil.copytree(INIT.parent, config)
    script = config / "init.sh"
    script.write_text(script.read_text().replace(" --ignore-existing\n", "\n"))
    state = make_server(tmp_path)
    assert run_init(mc_path, state, script).returncode == 0
    again = run_init(mc_path, state, script)
    assert again.returncode != 0
    assert "overlapping prefixes" in again.stderr


def test_script_uses_no_sed_grep_awk_or_error_hiding() -> None:
    script = INIT.read_text()
    code = "\n".join(line.split("#", 1)[0] for line in script.splitlines())
    for word in ("sed ", "grep ", "awk ", "|| true", "|| :"):
        assert word not in code, word
    assert os.access(INIT, os.R_OK)
