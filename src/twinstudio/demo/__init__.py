"""The synthetic world: made-up people (``roster_spec``, ``roster``), the demo workspace
built from them (``world``), the uses the policy decides (``uses``), billing and
provenance of placeholder assets (``billing``, ``provenance``), the demo campaign
(``campaign``) and the demo command that runs it all (``run``).

No real person's name or likeness is used anywhere here. Nothing heavy is imported by
this package itself: import the module you need.
"""
