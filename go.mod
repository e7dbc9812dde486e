module github.com/resnorm/resnorm

go 1.26
