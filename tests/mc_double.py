"""A test double of the ``mc`` client and the MinIO server behind it, for ``minio-config/init.sh``.

It implements the commands ``init.sh`` uses, answering (output, exit code) as mc does and
refusing what MinIO refuses. The "server" is a JSON state file (``MC_DOUBLE_STATE``): root
credentials, scheme, the configured notification targets, and what init.sh created. The
refusals reuse the notifier stand-in's pure MinIO rules, so the shell script and the SDK path
meet the same server behaviour. Sources mirrored (minio/mc ``cmd/``, minio/minio):

- ``alias set``: mc checks the credentials against the server (``cmd/alias-set.go``).
- ``mb --ignore-existing`` (``cmd/mb-main.go``): an existing bucket is an error without it.
- ``event add`` (``cmd/client-s3.go`` ``AddNotificationConfig``): GET the configuration, append
  the new rule (mc sets no rule id), PUT it back; MinIO refuses a duplicate rule
  (``internal/event/config.go``: ``ErrDuplicateQueueConfiguration``, "An object key name
  filtering rule defined with overlapping prefixes...") and an unknown, case-sensitive ARN; with
  ``--ignore-existing`` mc swallows exactly the overlapping-rule error (and still prints
  "Successfully added"). Before that, minio-go's ``AddQueue`` refuses client-side two rules
  to the same ARN with common events whose filters compare equal (only unfiltered ones).
- ``event list`` (``cmd/event-list.go``): ``ARN  EVENTS  Filter: prefix="..."``, one rule a line.
- ``ilm import`` (``cmd/ilm-import.go``): the JSON replaces the whole configuration; MinIO keeps
  what its ``Rule`` knows (``internal/bucket/lifecycle/rule.go``).
- ``admin policy create`` overwrites; ``admin user add`` creates or updates (secret at least 8
  characters: ``auth.IsSecretKeyValid``); ``admin policy attach`` (``cmd/admin-policy-attach.go``)
  skips policies already attached and exits 0, fails for an unknown user or policy.
"""

from __future__ import annotations

import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from voxpersona.localstack.minio_lifecycle import LifecycleConfigError, normalise_lifecycle
from voxpersona.localstack.minio_notify_rules import (
    NotificationConfigError,
    QueueRule,
    parse_notification_config,
    render_notification_config,
)

OVERLAP = "An object key name filtering rule defined with overlapping prefixes"
EVENT_TYPES = {
    "put": ("s3:ObjectCreated:*",),
    "delete": ("s3:ObjectRemoved:*",),
    "get": ("s3:ObjectAccessed:*",),
}
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class McError(Exception):
    """mc's ``fatalIf``: ``mc: <ERROR> ...`` on stderr, exit 1."""


def new_state(
    *, root_user: str, root_password: str, scheme: str = "http", target_ids: tuple[str, ...]
) -> dict[str, Any]:
    """A fresh server: no buckets, users or policies; NATS targets with these ids."""
    return {
        "root": [root_user, root_password],
        "scheme": scheme,
        "targets": [[target_id, "nats"] for target_id in target_ids],
        "aliases": {},
        "buckets": {},
        "policies": {},
        "users": {},
    }


class Server:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.state: dict[str, Any] = json.loads(path.read_text())

    def save(self) -> None:
        self.path.write_text(json.dumps(self.state, indent=2, sort_keys=True))

    def bucket(self, target: str) -> dict[str, Any]:
        alias, _, name = target.partition("/")
        self.alias(alias)
        bucket: dict[str, Any] | None = self.state["buckets"].get(name.rstrip("/"))
        if bucket is None:
            raise McError(f"Unable to access `{target}`. The specified bucket does not exist")
        return bucket

    def alias(self, alias: str) -> None:
        if alias not in self.state["aliases"]:
            raise McError(f"`{alias}` alias not found. Use `mc alias set` to add it.")


def _flag(args: list[str], name: str) -> str | None:
    if name in args:
        index = args.index(name)
        value = args[index + 1]
        del args[index : index + 2]
        return value
    return None


def _switch(args: list[str], name: str) -> bool:
    if name in args:
        args.remove(name)
        return True
    return False


def alias_set(server: Server, args: list[str]) -> str:
    alias, url, user, password = args
    scheme, _, host = url.partition("://")
    if scheme != server.state["scheme"]:
        # A plain-HTTP client talking to a TLS-only server (or the reverse) gets no answer.
        raise McError(f"Unable to initialize new alias from the provided credentials. {url}")
    if [user, password] != server.state["root"]:
        raise McError(
            "Unable to initialize new alias from the provided credentials. The Access Key Id "
            "you provided does not exist in our records."
        )
    server.state["aliases"][alias] = host
    return f"Added `{alias}` successfully."


def make_bucket(server: Server, args: list[str]) -> str:
    ignore = _switch(args, "--ignore-existing") or _switch(args, "-p")
    (target,) = args
    alias, _, name = target.partition("/")
    server.alias(alias)
    if not _BUCKET_NAME.match(name):
        raise McError(f"Unable to make bucket `{target}`. Bucket name contains invalid characters")
    if name in server.state["buckets"] and not ignore:
        raise McError(
            f"Unable to make bucket `{target}`. Your previous request to create the named "
            "bucket succeeded and you already own it."
        )
    server.state["buckets"].setdefault(
        name, {"anonymous": "none", "notification": [], "lifecycle": None}
    )
    return f"Bucket created successfully `{target}`."


def anonymous_set(server: Server, args: list[str]) -> str:
    permission, target = args
    server.bucket(target)["anonymous"] = permission
    shown = "private" if permission == "none" else permission
    return f"Access permission for `{target}` is set to `{shown}`"


def _rules(bucket: dict[str, Any]) -> list[QueueRule]:
    return [
        QueueRule(rule["id"], rule["arn"], tuple(rule["events"]), tuple(map(tuple, rule["filter"])))
        for rule in bucket["notification"]
    ]


def event_add(server: Server, args: list[str]) -> str:
    ignore = _switch(args, "--ignore-existing")
    kinds = (_flag(args, "--event") or "put,delete,get").split(",")
    prefix = _flag(args, "--prefix") or ""
    suffix = _flag(args, "--suffix") or ""
    target, arn = args
    bucket = server.bucket(target)
    filters = tuple((n, v) for n, v in (("prefix", prefix), ("suffix", suffix)) if v)
    events = tuple(name for kind in kinds for name in EVENT_TYPES[kind])
    existing = _rules(bucket)
    # minio-go pkg/notification AddQueue, client-side: same ARN, events in common and filters
    # that compare equal. Its Filter is a pointer, so only two unfiltered rules ever do; mc
    # then fails whatever --ignore-existing says.
    for rule in existing:
        if (
            rule.arn == arn
            and not rule.filter_rules
            and not filters
            and set(rule.events) & set(events)
        ):
            raise McError(
                "Unable to enable notification on the specified bucket. Invalid arguments "
                "provided, please refer " + "`mc <command> -h` for relevant documentation."
            )
    proposed = [*existing, QueueRule("", arn, events, filters)]
    targets = [tuple(t) for t in server.state["targets"]]
    try:
        parse_notification_config(render_notification_config(proposed), region="", targets=targets)
    except NotificationConfigError as exc:
        if ignore and exc.message.startswith(OVERLAP):
            # cmd/client-s3.go: --ignore-existing swallows exactly this error; cmd/event-add.go
            # then reports success as usual.
            return f"Successfully added {arn}"
        raise McError(
            f"Unable to enable notification on the specified bucket. {exc.message}"
        ) from None
    bucket["notification"] = [
        {
            "id": r.id,
            "arn": r.arn,
            "events": list(r.events),
            "filter": [list(f) for f in r.filter_rules],
        }
        for r in proposed
    ]
    return f"Successfully added {arn}"


def event_list(server: Server, args: list[str]) -> str:
    target, *arn = args
    lines = []
    for rule in _rules(server.bucket(target)):
        if arn and rule.arn != arn[0]:
            continue
        shown = f'prefix="{rule.prefix}"' if rule.prefix else ""
        if rule.suffix:
            shown = f'{shown}, suffix="{rule.suffix}"' if shown else f'suffix="{rule.suffix}"'
        lines.append(f"{rule.arn}   {','.join(rule.events)}   Filter: {shown}")
    return "\n".join(lines)


def _json_to_xml(parent: ET.Element, value: Any) -> None:
    for key, item in value.items():
        for element in item if isinstance(item, list) else [item]:
            child = ET.SubElement(parent, key)
            if isinstance(element, dict):
                _json_to_xml(child, element)
            else:
                child.text = str(element)


def _xml_to_json(node: ET.Element) -> Any:
    children = list(node)
    if not children:
        text = node.text or ""
        return int(text) if text.isdigit() else text
    result: dict[str, Any] = {}
    for child in children:
        result.setdefault(child.tag, []).append(_xml_to_json(child))
    return {key: items if key == "Rule" else items[0] for key, items in result.items()}


def ilm_import(server: Server, args: list[str], stdin: str) -> str:
    (target,) = args
    bucket = server.bucket(target)
    try:
        document = json.loads(stdin)
    except json.JSONDecodeError as exc:
        raise McError(f"Unable to parse input arguments. {exc}") from None
    root = ET.Element("LifecycleConfiguration")
    _json_to_xml(root, {"Rule": document.get("Rules", [])})
    try:
        kept = normalise_lifecycle(ET.tostring(root))
    except LifecycleConfigError as exc:
        raise McError(f"Unable to set lifecycle rules to `{target}`. {exc.message}") from None
    bucket["lifecycle"] = {"Rules": _xml_to_json(ET.fromstring(kept)).get("Rule", [])}
    return f"Lifecycle configuration imported successfully to `{target}`."


def admin(server: Server, args: list[str]) -> str:
    group, command, alias, *rest = args
    server.alias(alias)
    if (group, command) == ("policy", "create"):
        name, path = rest
        try:
            policy = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise McError(f"Unable to create new policy. {exc}") from None
        server.state["policies"][name] = policy
        return f"Created policy `{name}` successfully."
    if (group, command) == ("user", "add"):
        access, secret = rest
        if len(access) < 3:
            raise McError("Unable to add new user. The access key is invalid.")
        if len(secret) < 8:
            raise McError("Unable to add new user. The secret key is invalid.")
        user = server.state["users"].setdefault(access, {"policies": []})
        user["secret"] = secret
        return f"Added user `{access}` successfully."
    if (group, command) == ("policy", "attach"):
        user_name = _flag(rest, "--user")
        user = server.state["users"].get(user_name)
        if user is None:
            raise McError("Unable to get user policy info. The specified user does not exist.")
        new = [p for p in rest if p not in user["policies"]]
        for policy in new:
            if policy not in server.state["policies"]:
                raise McError(
                    "Unable to make user/group policy association. The canned policy does not "
                    "exist."
                )
        user["policies"].extend(new)
        return f"Attached Policies: {new or rest}\nTo User: {user_name}"
    raise McError(f"mc double: `admin {group} {command}` not implemented")


def main(argv: list[str]) -> int:
    server = Server(Path(os.environ["MC_DOUBLE_STATE"]))
    args = [arg for arg in argv if arg not in {"--quiet", "-q"}]
    command = args[:2]
    try:
        if command == ["alias", "set"]:
            out = alias_set(server, args[2:])
        elif args[:1] == ["mb"]:
            out = make_bucket(server, args[1:])
        elif command == ["anonymous", "set"]:
            out = anonymous_set(server, args[2:])
        elif command == ["event", "add"]:
            out = event_add(server, args[2:])
        elif command == ["event", "list"]:
            out = event_list(server, args[2:])
        elif command == ["ilm", "import"]:
            out = ilm_import(server, args[2:], sys.stdin.read())
        elif args[:1] == ["admin"]:
            out = admin(server, args[1:])
        else:
            raise McError(f"mc double: `{' '.join(args)}` not implemented")
    except McError as exc:
        print(f"mc: <ERROR> {exc}", file=sys.stderr)
        return 1
    server.save()
    if out:
        print(out)
    return 0
