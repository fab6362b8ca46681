"""What a version is, read from a name: the study's regex (`regex`), the detector (`detector`) and its rules
(`rules/`), generations (`generation`), vocabularies (`vocab`), the naming taxonomy (`taxonomy`), and how well they
read names (`evaluation`, `audit`)."""
