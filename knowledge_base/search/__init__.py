"""Finding the procedure a question is about: query understanding (chat abbreviations, diacritic restoration,
aspect words, aliases), lexical and dense retrieval, example questions, and the ranking engine."""
