"""Plans, usage limits and Stripe: what a workspace's plan allows, what it has used this period,
and the subscription that moves it between plans."""
