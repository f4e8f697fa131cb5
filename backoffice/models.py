"""No models: the module exists so that Django sends this app's post_migrate signal (it skips
apps without one), which keeps the "marketer" group in step (backoffice/apps.py)."""
