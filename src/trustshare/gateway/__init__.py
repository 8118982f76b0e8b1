"""What the bureau and insurer nodes share: API errors, signed requests, idempotency."""
