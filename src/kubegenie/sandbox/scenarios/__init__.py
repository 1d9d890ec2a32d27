"""Scenarios: clusters described as YAML (settings, node pools, manifests and the problems they contain) or
generated at any size, loaded into a sandbox cluster with their healthy workloads warm-started, and started
with their simulation. The built-in `demo` and `empty` scenarios and the `kube-system` fragment live here.
"""
