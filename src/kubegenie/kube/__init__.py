"""The only package that talks to Kubernetes: kubeconfig contexts, connections, API access with per-request
identity, watch-fed caches, discovery and fleet queries. Client-library and HTTP errors are translated
into `kubegenie.errors` here and nowhere else."""
