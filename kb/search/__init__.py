"""Search: fusion, filters, snippets, deflection scoring and the Searcher that ties them."""
