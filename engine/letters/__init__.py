"""Official letters (Tata Naskah Dinas) issued by the steps of a case, as PDF.

A diagram element names the letters it issues in its `issuesLetters` property; when a step
passes that element, `issue` numbers the letters, renders them from versioned HTML templates with
WeasyPrint and adds the documents and their `document_issued` events to the step's writes.
"""
