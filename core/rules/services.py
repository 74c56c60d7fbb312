"""The service menu per grade (服务需求菜单), and whether a service request is within grade.

The tobacco case (seed 000) sorts services into two categories (business profit 经营盈利,
business support 经营支撑) and three KANO types (basic 基本型, expected 期望型, delight
惊喜型), and serves them by grade, cumulatively: low grades get basic services, middle
grades add expected ones, high grades add delight ones (phone or online ordering for
all, agreed supply from the middle grades, online allocation for the high ones). Telling
a retailer exactly what its grade gives is how expectations are kept in check, and a
service given above grade is to be played down (淡化), so a request is checked:
``entitled``, ``above_grade`` or ``unknown_service``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

KANO = ("basic", "expected", "delight")
ENTITLED, ABOVE_GRADE, UNKNOWN_SERVICE = "entitled", "above_grade", "unknown_service"


@dataclass(frozen=True)
class ServiceCategory:
    code: str
    name: str = ""
    name_zh: str = ""


@dataclass(frozen=True)
class Service:
    """One service of the menu and the grades entitled to it (resolved from ``grades:``
    or ``min_grade:``)."""

    code: str
    category: str
    kano: str
    grades: frozenset[str]
    name: str = ""
    name_zh: str = ""
    min_grade: str | None = None


@dataclass(frozen=True)
class ServiceMenu:
    """The ``services`` section: categories, the menu in its order, the grade order
    (highest first, from ``customers.grading``) and whether the KANO rule is enforced."""

    categories: Mapping[str, ServiceCategory]
    services: Mapping[str, Service]
    grades: tuple[str, ...]
    cumulative: bool = False

    def entitled(self, grade: str | None) -> tuple[str, ...]:
        """The codes of the services ``grade`` is entitled to, in menu order (none when
        ungraded)."""
        return tuple(code for code, s in self.services.items() if grade in s.grades)

    def check_request(self, grade: str | None, service: str) -> str:
        """``unknown_service`` when the menu has no such service, ``entitled`` when the
        grade is entitled to it, ``above_grade`` otherwise (an ungraded customer too)."""
        found = self.services.get(service)
        if found is None:
            return UNKNOWN_SERVICE
        return ENTITLED if grade in found.grades else ABOVE_GRADE


def entitled_grades(grades: tuple[str, ...], listed: tuple[str, ...] | str | None, min_grade: str | None) -> frozenset[str]:
    """``grades: all``, ``grades: [..]`` or ``min_grade: G`` (G and every higher grade)."""
    if min_grade is not None:
        return frozenset(grades[: grades.index(min_grade) + 1])
    if listed == "all":
        return frozenset(grades)
    return frozenset(listed or ())


def cumulative_problems(menu: list[Service], grades: tuple[str, ...]) -> list[tuple[int, str]]:
    """Where a menu breaks the source's cumulative rule, as (menu position, message):

    - every service reaches a grade and every higher one (the menu grows with the grade);
    - basic services are for every grade (low grades get the basic ones);
    - expected services are not for the lowest grade (middle grades add them);
    - a delight service starts above the lowest grade any expected service starts at
      (high grades add them), and never at the lowest grade.
    """
    out: list[tuple[int, str]] = []
    lowest = len(grades) - 1

    def start(s: Service) -> int:  # rank of the lowest grade entitled (higher = lower grade)
        return max(grades.index(g) for g in s.grades)

    for i, s in enumerate(menu):
        if not s.grades:
            out.append((i, "no grade is entitled to it"))
            continue
        ranks = sorted(grades.index(g) for g in s.grades)
        if ranks != list(range(ranks[-1] + 1)):
            missing = [grades[r] for r in range(ranks[-1] + 1) if r not in ranks]
            out.append((i, f"cumulative: {grades[ranks[-1]]} is entitled but the higher {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not"))
            continue
        if s.kano == "basic" and start(s) != lowest:
            out.append((i, f"cumulative: a basic service is for every grade, down to {grades[lowest]}"))
        if s.kano == "expected" and start(s) == lowest:
            out.append((i, f"cumulative: an expected service is for the middle grades up, not the lowest ({grades[lowest]})"))
    expected_starts = [start(s) for s in menu if s.kano == "expected" and s.grades]
    for i, s in enumerate(menu):
        if s.kano != "delight" or not s.grades:
            continue
        if start(s) == lowest:
            out.append((i, f"cumulative: a delight service is for the high grades, not the lowest ({grades[lowest]})"))
        elif expected_starts and start(s) >= max(expected_starts):
            out.append((i, f"cumulative: a delight service starts above the lowest grade with an expected service ({grades[max(expected_starts)]})"))
    return sorted(out)
