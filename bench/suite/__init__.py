# bench/suite: the benchmark driver behind bench/run (stack, peers,
# scenarios, measurement, report).
