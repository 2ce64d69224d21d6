"""Background jobs (RQ with REDIS_URL, in-process after the commit without it): an app
context, then one service call. E-mail sending and the periodic sweeps land here."""
