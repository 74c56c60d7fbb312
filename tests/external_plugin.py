"""Helpers that install a plugin living outside the repository, the way pip would.

It writes a package plus a ``*.dist-info`` folder with an ``entry_points.txt`` declaring it
in the ``csm.plugins`` group, into a temporary folder put on ``sys.path``. The plugin
declares its metadata (``PluginInfo``); ``install(root, info=...)`` writes other metadata,
or none (``info=None``), to test how the loader refuses it.
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
case_types:
  - {code: stale_bread, name: Stale bread complaint, name_zh: 面包不新鲜, default_time_limit_hours: 24, source: "test fixture"}
event_types:
  - code: complaint_opened
    name: Complaint opened
    source: "test fixture"
    payload:
      - {name: opened_at, type: timestamp, description: when the customer complained}
      - {name: note, type: string, required: false}
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


# The metadata the plugin declares: a PluginInfo(...) expression, as Python source.
COMPATIBLE = 'PluginInfo(name="bakery", version="0.1", core=">=0.1,<1")'


def install(root: Path, info: str | None = COMPATIBLE) -> Path:
    pkg = root / PACKAGE
    (pkg / "templates").mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        textwrap.dedent(
            """\
            from pathlib import Path
            from core.catalogue import CataloguePlugin
            from core.model import PluginInfo

            plugin = CataloguePlugin(Path(__file__).parent, INFO)
            """
        ).replace("INFO", info or "None")
    )
    (pkg / "industry.yaml").write_text(INDUSTRY_YAML)
    (pkg / "templates" / "bakery-csi.yaml").write_text(TEMPLATE_YAML)
    dist = root / f"{PACKAGE}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[csm.plugins]\nbakery = {PACKAGE}:plugin\n")
    return root
