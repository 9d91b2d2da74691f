"""Sweeps: many training runs from one sweep file, each a normal run directory with its own
resume, run by local processes or as Ray tasks, gathered into one results file, a table and a
plot (``lava-eqprop sweep``, ``lava_eqprop.sweep``).

:mod:`.plan` reads the sweep file into points; :mod:`.execute` runs them; :mod:`.results`
gathers what they trained.
"""
