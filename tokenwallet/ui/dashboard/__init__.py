"""The dashboard window: allowance cards, the spend chart, spend by model, accounts and the alert history."""
