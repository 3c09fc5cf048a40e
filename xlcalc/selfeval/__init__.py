"""The national 项目支出绩效自评表 in compact form: target parsing, profiles and expansion."""
