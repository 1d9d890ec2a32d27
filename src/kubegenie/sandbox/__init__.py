"""The embedded sandbox cluster: a Kubernetes-API-compatible server that product code reaches only over HTTP."""
