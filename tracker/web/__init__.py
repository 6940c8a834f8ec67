"""The web layer: blueprints with forms and thin views, error pages, and the helpers templates render with."""
