"""The bureau node: settles at the window, clears in Merkle batches, releases under consent."""
