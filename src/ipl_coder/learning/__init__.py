"""Learning from the team's own decisions: ``ipl-coder learn`` and ``ipl-coder code --learned``.

``passages`` turns the store's decisions and the codebook's examples into
labelled units; ``model`` trains and keeps spaCy's text classifier on them;
``learn`` is the plain function behind ``ipl-coder learn``; ``suggest`` makes
the model's suggestions during a ``code`` run, and ``reasons`` says why.
Offline: nothing is downloaded, and nothing leaves the project folder.
"""
