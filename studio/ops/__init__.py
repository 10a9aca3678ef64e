"""Running Studio in production: health and readiness for load balancers and orchestrators,
Prometheus metrics, and structured logs with a request id."""
