"""The domain: the words every layer of the rig shares, and nothing that acts on them.

The use case's vocabulary (:mod:`.vocabulary`: how the PEV communicated, the SC-4
roaming option, kinds of premise, a host's guest preference, a portal's
arrangement, what an ID looks like), the tariff *schema* (:mod:`.tariff`: OCPI
shaped, read from the utility data set) and the requirements catalogue
(:mod:`.requirements`) live here, with the one mixin the rig's closable objects
share (:mod:`.closing`), so that the services, the oracle, the plans and
the report can all name them without importing one another.

This package is the bottom layer: it imports nothing of ``rig`` or ``drivers``
(``make lint`` holds it to that, see ``[tool.importlinter]`` in ``pyproject.toml``).
Behaviour lives above it: the services price a tariff (:mod:`rig.services.tariffs`),
the oracle prices it again on its own (:mod:`rig.oracle.tariff`).
"""
