"""Event Grid's dead-letter container (the `LetterBlobs` port): blob.py on Azure Blob Storage (azure-storage-blob)."""
