"""Domain verbs: they take the actor explicitly, flush at most, and never commit."""
