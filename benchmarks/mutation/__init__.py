"""The mutation self-test (``make mutate``, ``benchmarks/mutate.py``): do the plans fail
when the services or the simulated instruments are wrong?"""
