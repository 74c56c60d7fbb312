"""Plugin metadata (``csm_plugin_info = PluginInfo(...)``), checked when a plugin is loaded.

A compatible plugin loads under its metadata name; one without metadata, with a version or
specifier that is not PEP 440, made for another core version, or named like another plugin
is refused with a PluginLoadError naming it: get_plugin_manager raises, so the
application does not start half-equipped. The same holds for entry-point plugins and for
plugins passed explicitly.
"""

import re
import sys

import pytest

from core import __version__
from core.app import create_app
from core.hookspecs import hookimpl
from core.model import ModelError, PluginInfo
from core.plugins import IndustryRegistry, PluginLoadError, check_plugin_info, get_plugin_manager
from tests import external_plugin


def plugin(name="extra", version="1.0", core=">=0.1"):
    class Plugin:
        csm_plugin_info = PluginInfo(name=name, version=version, core=core)

        def __repr__(self):
            return f"<test plugin {name}>"

    return Plugin()


@pytest.fixture
def install(tmp_path, monkeypatch):
    """install(info source or None): the bakery plugin as an installed distribution."""

    def _install(info):
        root = external_plugin.install(tmp_path / "site", info=info)
        monkeypatch.syspath_prepend(str(root))
        return root

    yield _install
    sys.modules.pop(external_plugin.PACKAGE, None)


def test_a_compatible_plugin_loads_under_its_name():
    pm = get_plugin_manager(entry_points=False, extra=[plugin("extra", core=f"=={__version__}")])
    assert [name for name, _ in pm.list_name_plugin()] == ["core", "retail", "extra"]
    registry = IndustryRegistry(pm)
    assert registry.plugins["extra"].version == "1.0"
    assert registry.plugins["core"] == PluginInfo(name="core", version=__version__, core=f"=={__version__}", description=registry.plugins["core"].description)


def test_the_core_and_the_retail_plugin_declare_metadata_the_core_supports():
    registry = IndustryRegistry(get_plugin_manager(entry_points=False))
    assert {n: (i.version, i.core) for n, i in registry.plugins.items()} == {"core": (__version__, f"=={__version__}"), "retail": ("0.1.0", ">=0.1,<0.2")}


def test_an_incompatible_plugin_is_refused_naming_it_and_its_requirement():
    with pytest.raises(PluginLoadError) as caught:
        get_plugin_manager(entry_points=False, extra=[plugin("future", version="2.0", core=">=1.0")])
    assert str(caught.value) == (
        f"plugin 'future' 2.0 (<test plugin future>) supports core >=1.0, but this is core {__version__}: "
        "install a release of the plugin made for this core, or uninstall it"
    )


def test_a_plugin_without_metadata_is_refused():
    class Anonymous:
        @hookimpl
        def csm_register_case_types(self):
            return []

        def __repr__(self):
            return "<anonymous>"

    with pytest.raises(PluginLoadError, match=r"plugin <anonymous> declares no metadata: give it `csm_plugin_info = PluginInfo\(name=..."):
        get_plugin_manager(entry_points=False, extra=[Anonymous()])


@pytest.mark.parametrize(
    ("version", "core", "message"),
    [
        ("one", ">=0.1", "version 'one' is not a PEP 440 version"),
        ("1.0", "0.1+", "core '0.1+' is not a PEP 440 version specifier"),
    ],
)
def test_metadata_that_is_not_pep_440_is_refused(version, core, message):
    with pytest.raises(PluginLoadError, match=re.escape(f"plugin 'odd' (<test plugin odd>): {message}")):
        get_plugin_manager(entry_points=False, extra=[plugin("odd", version=version, core=core)])


def test_metadata_that_is_not_a_plugin_info_is_refused():
    class Dicty:
        csm_plugin_info = {"name": "dicty", "version": "1", "core": ">=0"}

    with pytest.raises(PluginLoadError, match="csm_plugin_info must be a core.model.PluginInfo, not dict"):
        get_plugin_manager(entry_points=False, extra=[Dicty()])


def test_plugin_info_itself_refuses_bad_names_and_empty_fields():
    for bad in ({"name": "Has Space"}, {"name": ""}, {"version": ""}, {"core": " "}):
        with pytest.raises(ModelError):
            PluginInfo(**{"name": "ok", "version": "1", "core": ">=0", **bad})


def test_two_plugins_with_one_name_are_refused_naming_both():
    with pytest.raises(PluginLoadError, match="two plugins are named 'retail': module plugins.retail and <test plugin retail>"):
        get_plugin_manager(entry_points=False, extra=[plugin("retail")])
    with pytest.raises(PluginLoadError, match="two plugins are named 'core'"):
        get_plugin_manager(entry_points=False, extra=[plugin("core")])


def test_prereleases_of_the_core_satisfy_a_plain_range():
    """A development build of the core (0.2.0.dev1) still loads a plugin made for >=0.1."""
    assert check_plugin_info(plugin(core=">=0.1"), "x", core_version="0.2.0.dev1").name == "extra"
    with pytest.raises(PluginLoadError):
        check_plugin_info(plugin(core=">=0.1,<0.2"), "x", core_version="0.2.0")


def test_a_compatible_entry_point_plugin_loads(install):
    install(external_plugin.COMPATIBLE)
    registry = IndustryRegistry(get_plugin_manager())
    assert registry.plugins["bakery"].version == "0.1"
    assert registry.industry_plugin("bakery").name == "bakery"


def test_an_incompatible_entry_point_plugin_is_refused_naming_its_distribution(install):
    install('PluginInfo(name="bakery", version="0.1", core="<0.1")')
    with pytest.raises(PluginLoadError) as caught:
        get_plugin_manager()
    message = str(caught.value)
    assert message.startswith("plugin 'bakery' 0.1 (entry point bakery = csm_bakery_plugin:plugin (csm_bakery_plugin 0.1)) supports core <0.1")
    assert f"this is core {__version__}" in message


def test_an_entry_point_plugin_without_metadata_is_refused(install):
    install(None)
    with pytest.raises(PluginLoadError, match=r"plugin entry point bakery = csm_bakery_plugin:plugin \(csm_bakery_plugin 0.1\) declares no metadata"):
        get_plugin_manager()


def test_the_application_does_not_start_with_a_refused_plugin(install, tmp_path):
    install('PluginInfo(name="bakery", version="0.1", core=">=9")')
    with pytest.raises(PluginLoadError, match="supports core >=9"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})


def test_a_registry_refuses_a_plugin_manager_not_built_by_get_plugin_manager():
    import pluggy

    from core import hookspecs

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(plugin("extra"), name="other-name")
    with pytest.raises(PluginLoadError, match="plugin 'extra' is registered as 'other-name'"):
        IndustryRegistry(pm)
    pm.unregister(name="other-name")
    pm.register(plugin("extra"), name="extra")
    with pytest.raises(PluginLoadError, match="the core's own plugin"):
        IndustryRegistry(pm)
