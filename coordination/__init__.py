"""The foundation: nations, catalogue, memberships, API tokens, the access rule, history and the API plumbing."""
