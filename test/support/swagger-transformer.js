// Runs the @nestjs/swagger CLI plugin under ts-jest, so tests see the same OpenAPI document
// (JSDoc descriptions, inferred properties) as `nest build` produces.
const plugin = require('@nestjs/swagger/plugin');
const options = require('../../nest-cli.json').compilerOptions.plugins.find((p) => p.name === '@nestjs/swagger').options;

module.exports.name = 'nestjs-swagger-transformer';
module.exports.version = 1;
module.exports.factory = (compiler) => plugin.before(options, compiler.program);
