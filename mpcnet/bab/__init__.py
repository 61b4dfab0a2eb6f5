"""Action-space branch and bound: sound lower bounds of the plan cost over boxes of actions
(the search itself is ``controllers/bab.py``)."""
