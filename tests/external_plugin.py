"""Helpers that install a plugin living outside the repository, the way pip would.

It writes a package plus a ``*.dist-info`` folder with an ``entry_points.txt`` declaring it
in the ``csm.plugins`` group, into a temporary folder put on ``sys.path``.
"""

import textwrap
from pathlib import Path

PACKAGE = "csm_bakery_plugin"

INDUSTRY_YAML = """\
industry: {code: bakery, name: Bakery, name_zh: 面包店, source: "test fixture"}
touchpoints:
  - code: shop
    name: Shop
    source: "test fixture"
    touchpoints:
      - {code: counter, name: Counter, name_zh: 柜台, source: "test fixture"}
kpis:
  - {code: stale_rate, name: Stale bread rate, unit: "%", direction: lower_is_better, source: "test fixture"}
"""

TEMPLATE_YAML = """\
version: 1
scales:
  yesno:
    kind: ordinal
    options:
      - {code: Y, label: "Yes", score: 1, satisfied: true}
      - {code: N, label: "No", score: 0}
indicator_set:
  code: bakery-csi
  name: Bakery satisfaction
  children:
    - {code: fresh, scale: yesno, touchpoint: counter}
    - {code: friendly, scale: yesno, touchpoint: counter}
"""


def install(root: Path) -> Path:
    pkg = root / PACKAGE
    (pkg / "templates").mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        textwrap.dedent(
            """\
            from pathlib import Path
            from core.catalogue import CataloguePlugin

            plugin = CataloguePlugin(Path(__file__).parent)
            """
        )
    )
    (pkg / "industry.yaml").write_text(INDUSTRY_YAML)
    (pkg / "templates" / "bakery-csi.yaml").write_text(TEMPLATE_YAML)
    dist = root / f"{PACKAGE}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[csm.plugins]\nbakery = {PACKAGE}:plugin\n")
    return root
