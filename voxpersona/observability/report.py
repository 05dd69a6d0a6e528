"""Rendering a health report for people (a table) and machines (JSON). Pure."""

from __future__ import annotations

import json

from voxpersona.logging import SecretRedactor
from voxpersona.observability.health import HealthReport, Status

_MARK = {Status.OK: "ok", Status.DEGRADED: "DEGRADED", Status.DOWN: "DOWN"}


def render_table(report: HealthReport, redactor: SecretRedactor | None = None) -> str:
    """One line per check, grouped by dependency, then the verdict."""
    clean = redactor.redact if redactor is not None else (lambda text: text)
    rows = [("dependency", "check", "status", "detail")]
    for dep in report.dependencies:
        for index, check in enumerate(dep.checks):
            rows.append(
                (dep.name if index == 0 else "", check.name, _MARK[check.status], check.detail)
            )
    widths = [max(len(clean(row[i])) for row in rows) for i in range(3)]
    lines = []
    for row in rows:
        cells = [clean(cell).ljust(widths[i]) for i, cell in enumerate(row[:3])]
        lines.append("  ".join([*cells, clean(row[3])]).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths) + "  ------")
    verdict = {
        Status.OK: "healthy",
        Status.DEGRADED: "degraded",
        Status.DOWN: "down",
    }[report.status]
    lines.append("")
    lines.append(f"overall: {verdict}")
    return "\n".join(lines)


def render_json(report: HealthReport, redactor: SecretRedactor | None = None) -> str:
    text = json.dumps(report.as_dict(), ensure_ascii=False, indent=2)
    return redactor.redact(text) if redactor is not None else text
