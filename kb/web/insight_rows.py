"""What the insights pages add to a readout's rows for the person looking: links to the desk's
own pages where their roles let them in, and the work a row invites (write an article for a
content gap or a search that went nowhere, dismiss either or put it back, open a problem
from recurring incidents). The readout's figures stay as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from kb.insights.searches import NO_LANGUAGE
from kb.store.users import User
from kb.web.readouts import Action

# The knowledge editor is the agents'; problems are the desk's, open to managers too
# (kb/web/knowledge.py, kb/web/problems.py hold the same roles on their views).
EDITOR_ROLES = ("agent",)
PROBLEM_ROLES = ("agent", "manager")
# The tables whose rows are content to write (DESIGN.md's content gaps: a search or request
# with no confident answer, or followed by a ticket): the gaps grouped by meaning, and the
# searches report's own rankings of such searches.
GAP_TABLES = (("gaps", "gaps"), ("searches", "unconfident"), ("searches", "ticketed"))
GAPS = ("gaps", "gaps")
DISMISSED_GAPS = ("gaps", "dismissed")
# How many of a gap's searches the new article's draft lists for its writer.
DRAFT_SEARCHES = 10


class InsightRows:
    """The links and actions of the insights tables for `user`, on the report `report`;
    forms post back with `kept`, the page's period and filters."""

    def __init__(self, report: str, user: User, kept: Mapping[str, Any] | None = None) -> None:
        self.report = report
        self.user = user
        self.kept = dict(kept or {})

    @property
    def writes_articles(self) -> bool:
        return self.user.has_any(EDITOR_ROLES)

    @property
    def handles_problems(self) -> bool:
        return self.user.has_any(PROBLEM_ROLES)

    def link(self, table: str, column: str, row: Mapping[str, Any]) -> str | None:
        value = row.get(column)
        if not isinstance(value, str) or not value:
            return None
        article_column = {"articles": "id", "comments": "id", "candidates": "covered_by"}
        if article_column.get(table) == column and self.writes_articles:
            return url_for("knowledge.article", article_id=value)
        if (table, column) == ("problems", "number") and self.handles_problems:
            return url_for("problems.page", number=value)
        return None

    def actions(self, table: str, row: Mapping[str, Any]) -> tuple[Action, ...]:
        where = (self.report, table)
        if where in GAP_TABLES:
            actions = [Action(_("Write an article"), href=self._draft_link(row))]
            if not self.writes_articles:
                actions = []
            # Wherever gaps are listed they can be dismissed: the gap's text, or the search's.
            dismissing = url_for("insights.dismiss_gap", **self.kept)
            fields = (("text", str(row.get("gap") or row.get("query") or "")),)
            actions.append(Action(_("Dismiss"), post=dismissing, fields=fields))
            return tuple(actions)
        if where == DISMISSED_GAPS and isinstance(row.get("id"), int):
            restoring = url_for("insights.restore_gap", dismissal_id=row["id"], **self.kept)
            return (Action(_("Put back"), post=restoring),)
        if (self.report, table) == ("problems", "candidates") and self.handles_problems:
            return self._problem_actions(row)
        return ()

    def remarks(self, table: str) -> tuple[str, ...]:
        where = (self.report, table)
        if where in GAP_TABLES:
            remarks = []
            if not self.writes_articles:
                remarks.append(
                    _(
                        "Writing an article takes the agent role: the editor is the desk's. "
                        "Download this table as CSV for the agents who write them, or ask an "
                        "admin to give you the agent role too."
                    )
                )
            if where == GAPS:
                remarks.append(
                    _(
                        "Dismiss a gap that needs no article (a typo, a test, something the "
                        "desk does not answer): it and the searches close to it in meaning are "
                        "left out from then on, until you put it back from Dismissed gaps."
                    )
                )
            else:
                remarks.append(
                    _(
                        "Dismiss a search that needs no article (a typo, a test, something the "
                        "desk does not answer): it and the searches close to it in meaning are "
                        "left out of Content gaps from then on; it stays counted here, and you "
                        "can put it back from Dismissed gaps."
                    )
                )
            return tuple(remarks)
        if (self.report, table) == ("problems", "candidates") and not self.handles_problems:
            return (_("Opening a problem takes the agent or manager role."),)
        return ()

    def _draft_link(self, row: Mapping[str, Any]) -> str:
        """The editor, opened on a new article drafted from the gap: the gap's text (the search
        that cost the most) as the title, the searches it should answer listed in the body, and
        their language and category when there is one of each."""
        searches = _texts(row.get("examples")) or _texts(row.get("query"))
        title = str(row.get("gap") or "") or (searches[0] if searches else "")
        listed = "\n".join(f"- {search}" for search in searches[:DRAFT_SEARCHES])
        body = _("Searches this article should answer:") + f"\n\n{listed}\n"
        arguments = {"title": title[:1].upper() + title[1:], "body": body}
        languages = [code for code in _texts(row.get("languages")) if code != NO_LANGUAGE]
        if len(languages) == 1:
            arguments["language"] = languages[0]
        categories = _texts(row.get("categories"))
        if len(categories) == 1:
            arguments["category"] = categories[0]
        return url_for("knowledge.new", **arguments)

    def _problem_actions(self, row: Mapping[str, Any]) -> tuple[Action, ...]:
        """A group already linked to problems leads to them; otherwise it can open one."""
        problems = _texts(row.get("problems"))
        if problems:
            return tuple(
                Action(
                    _("Problem %(number)s", number=number),
                    href=url_for("problems.page", number=number),
                )
                for number in problems
            )
        incidents = _texts(row.get("incidents"))
        if not incidents:
            return ()
        fields = [("title", str(row.get("title") or ""))]
        fields += [("incident", number) for number in incidents]
        opening = url_for("problems.open_problem")
        return (Action(_("Open a problem"), post=opening, fields=tuple(fields)),)


def _texts(value: Any) -> list[str]:
    """A row's list of texts (a single text is a list of one)."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, Sequence):
        return [str(item) for item in value if item]
    return []
