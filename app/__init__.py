"""The running application: composition root, CLI, terminal chat, delivery worker, jobs."""
