"""Which builds count: the default branch's, unless ``build-branches`` widens it.

Compass's build success rate is meant for the code that ships. Compass's own GitHub app and
Atlassian's GitLab app report builds of the default (tracking) branch only: a red build of a
feature branch is work in progress, as a red pull request build is. So by default a build counts
when it is of the default branch; ``build-branches`` adds branches by name or glob pattern (a
pattern is matched against tag names too, ``v*`` say), and ``*`` counts every branch and tag.

A tag build is left out by default: the tag points at a commit its branch already built, and a
release pipeline's outcome is reported as its deployment. Pull request and merge queue builds
follow ``report-pull-requests`` (events/skipping.py), not this rule. One rule for live steps,
observer runs and reconciles: ``left_out``.
"""

from __future__ import annotations

import fnmatch

EVERY_BRANCH = "*"


def matches(name: str, patterns: list[str]) -> bool:
    """Whether a name (a branch, a tag, a job) is one of ``patterns`` (names or globs)."""
    folded = name.casefold()
    return any(fnmatch.fnmatchcase(folded, pattern.casefold()) for pattern in patterns)


def left_out(
    name: str | None, is_tag: bool, default_branch: str | None, patterns: list[str]
) -> str | None:
    """Why a build of ``name`` (a branch, or a tag) does not count; None when it counts.

    A build whose branch is not known, or whose repository's default branch is not known, counts:
    leaving out what may be the default branch would hide the builds that matter most.
    """
    if name is None or EVERY_BRANCH in patterns or matches(name, patterns):
        return None
    if is_tag:
        return (
            f"builds of the tag {name} are not reported by default (the tag's commit was built "
            "on its branch); add the tag or a pattern such as v* to build-branches, or * for "
            "every branch and tag"
        )
    if default_branch is None or name == default_branch:
        return None
    return (
        f"builds of the branch {name} are not reported: only the default branch "
        f"({default_branch}) counts by default, as Compass's GitHub app and Atlassian's GitLab "
        "app count; add the branch or a pattern to build-branches, or * for every branch"
    )
