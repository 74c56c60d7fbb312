"""Industry plugins shipped with CSM. Each sub-package hands its YAML catalogues to the core."""
