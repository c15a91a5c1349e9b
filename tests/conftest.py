import os

# scikit-learn's array API check (run by parametrize_with_checks) needs this set
# before scipy is first imported; it is skipped otherwise.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
