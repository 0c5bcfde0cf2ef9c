"""Reading, checking and describing BPMN diagrams before they are deployed."""
