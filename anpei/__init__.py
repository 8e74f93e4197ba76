"""安培 (Anpei): the county platform of the 安全生产培训“走过场”专项整治 campaign."""

__version__ = "0.1.0"
