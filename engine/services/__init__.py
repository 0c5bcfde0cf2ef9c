"""Use cases. Each public function is one transaction that the web app and the CLI both call."""
