# Daily reconciliation with each gateway: models arrive with the reconciliation work.
